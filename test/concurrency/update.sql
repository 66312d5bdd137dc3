\set id random(1, 6000)
-- a new vector (a new index entry) and a HOT update (none)
UPDATE cf SET v = rv() WHERE id = :id;
UPDATE cq SET v = rv() WHERE id = :id;
UPDATE cf SET id = id WHERE id = :id + 1;
UPDATE cq SET id = id WHERE id = :id + 1;
