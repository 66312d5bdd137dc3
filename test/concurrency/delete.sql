\set id random(1, 6000)
DELETE FROM cf WHERE id BETWEEN :id AND :id + 3;
DELETE FROM cq WHERE id BETWEEN :id AND :id + 3;
