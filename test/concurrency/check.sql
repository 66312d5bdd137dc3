-- the check itself runs concurrently with the writers: no false alarms
SELECT pgvq_index_check('cf_idx', true);
SELECT pgvq_index_check('cq_idx', true);
SELECT pgvq_index_check('cq_ip', false);
