INSERT INTO cf (v) VALUES (rv()), (rv()), (NULL);
INSERT INTO cq (v) VALUES (rv()), (rv()), (NULL);
