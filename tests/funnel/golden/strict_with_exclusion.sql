-- stage
WITH ev AS (
    SELECT e.event_id AS event_id, COALESCE(a.customer_id, e.customer_id) AS customer_id, e.ts AS ts,
           e.event AS event, e.channel AS channel, e.campaign AS campaign, e.revenue AS revenue,
           e.currency AS currency, COALESCE(r.customer_id, e.referrer_id) AS referrer_id,
           e.properties AS properties
    FROM events AS e
    LEFT JOIN (SELECT alias, min(customer_id) AS customer_id FROM (SELECT alias, customer_id FROM aliases UNION ALL SELECT json_extract_string(properties, '$.alias') AS alias, customer_id FROM events WHERE event = 'identify' AND json_extract_string(properties, '$.alias') IS NOT NULL) AS s
               WHERE alias <> customer_id GROUP BY alias) AS a ON a.alias = e.customer_id
    LEFT JOIN (SELECT alias, min(customer_id) AS customer_id FROM (SELECT alias, customer_id FROM aliases UNION ALL SELECT json_extract_string(properties, '$.alias') AS alias, customer_id FROM events WHERE event = 'identify' AND json_extract_string(properties, '$.alias') IS NOT NULL) AS s
               WHERE alias <> customer_id GROUP BY alias) AS r ON r.alias = e.referrer_id),
flagged AS (SELECT event_id, customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties, COALESCE(event IN ('visit'), FALSE) AS m0, COALESCE(event IN ('cart'), FALSE) AS m1, COALESCE(event IN ('buy'), FALSE) AS m2, COALESCE(event IN ('refund'), FALSE) AS m3 FROM ev),
seq AS (SELECT event_id, customer_id, ts, epoch_us(ts) AS tsu, CAST(NULL AS VARCHAR) AS bv, m0, m1, m2, m3, row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS ord FROM (SELECT event_id, customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties, m0, m1, m2, m3 FROM flagged) AS s WHERE TRUE)
SELECT *, sum(CASE WHEN m3 THEN 1 ELSE 0 END) OVER (PARTITION BY customer_id ORDER BY ord ROWS UNBOUNDED PRECEDING) AS cx0 FROM seq
-- units
WITH chain AS (SELECT a.customer_id AS customer_id, a.bv AS bv, a.tsu AS t0u, a.event_id AS start_id, a.ts AS t0, a.bv AS v0, s1.ts AS t1, s1.bv AS v1, s2.ts AS t2, s2.bv AS v2, CASE WHEN a.ts IS NOT NULL THEN 1 ELSE 0 END + CASE WHEN s1.ts IS NOT NULL THEN 1 ELSE 0 END + CASE WHEN s2.ts IS NOT NULL THEN 1 ELSE 0 END AS level, (s2.ord IS NOT NULL AND s2.cx0 > a.cx0 + CASE WHEN s2.m3 THEN 1 ELSE 0 END) AS disq FROM stage AS a LEFT JOIN (SELECT * FROM stage WHERE m1) AS s1 ON s1.customer_id = a.customer_id AND s1.ord = a.ord + 1 AND s1.m1 LEFT JOIN (SELECT * FROM stage WHERE m2) AS s2 ON s2.customer_id = s1.customer_id AND s2.ord = s1.ord + 1 AND s2.m2 WHERE a.m0),
ranged AS (SELECT *, CAST(NULL AS DATE) AS period, FALSE AS is_open FROM chain WHERE TRUE),
kept AS (SELECT * FROM ranged WHERE NOT disq)
SELECT customer_id, CAST(NULL AS VARCHAR) AS breakdown, period, level, t0, t1, t2, in_progress FROM (SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY level DESC, t0, start_id) AS pick, bool_or(is_open) OVER (PARTITION BY customer_id) AS in_progress FROM kept) AS k WHERE pick = 1
-- steps
WITH labelled AS (SELECT *, CAST(NULL AS VARCHAR) AS bd FROM units)
SELECT 1 AS step, bd AS breakdown, count(t0) AS customers, NULL AS base, count(t0) AS first, count(CASE WHEN t0 IS NOT NULL AND t1 IS NULL AND NOT in_progress THEN 1 END) AS dropped, count(CASE WHEN t0 IS NOT NULL AND t1 IS NULL AND in_progress THEN 1 END) AS in_progress, median(NULL) AS median_seconds, avg(NULL) AS mean_seconds FROM labelled GROUP BY bd
UNION ALL
SELECT 2 AS step, bd AS breakdown, count(t1) AS customers, count(t0) AS base, count(t0) AS first, count(CASE WHEN t1 IS NOT NULL AND t2 IS NULL AND NOT in_progress THEN 1 END) AS dropped, count(CASE WHEN t1 IS NOT NULL AND t2 IS NULL AND in_progress THEN 1 END) AS in_progress, median((epoch_us(t1) - epoch_us(t0)) / 1e6) AS median_seconds, avg((epoch_us(t1) - epoch_us(t0)) / 1e6) AS mean_seconds FROM labelled GROUP BY bd
UNION ALL
SELECT 3 AS step, bd AS breakdown, count(t2) AS customers, count(t1) AS base, count(t0) AS first, count(CASE WHEN FALSE AND NOT in_progress THEN 1 END) AS dropped, count(CASE WHEN FALSE AND in_progress THEN 1 END) AS in_progress, median((epoch_us(t2) - epoch_us(t1)) / 1e6) AS median_seconds, avg((epoch_us(t2) - epoch_us(t1)) / 1e6) AS mean_seconds FROM labelled GROUP BY bd
