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
flagged AS (SELECT event_id, customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties, COALESCE(event IN ('visit'), FALSE) AS m0, COALESCE(event IN ('signup', 'register'), FALSE) AS m1, COALESCE(event IN ('buy'), FALSE) AS m2 FROM ev),
seq AS (SELECT event_id, customer_id, ts, epoch_us(ts) AS tsu, channel AS bv, m0, m1, m2, row_number() OVER (PARTITION BY customer_id ORDER BY ts, event_id) AS ord FROM (SELECT event_id, customer_id, ts, event, channel, campaign, revenue, currency, referrer_id, properties, m0, m1, m2 FROM flagged) AS s WHERE (m0 OR m1 OR m2))
SELECT customer_id, bv, ts, tsu, event_id AS start_id, CASE WHEN g0 - tsu <= 86400000000 THEN g0 END AS f0, CASE WHEN g1 - tsu <= 86400000000 THEN g1 END AS f1, CASE WHEN g2 - tsu <= 86400000000 THEN g2 END AS f2, xn FROM (SELECT *, min(CASE WHEN m0 THEN tsu END) OVER (PARTITION BY customer_id ORDER BY tsu RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS g0, min(CASE WHEN m1 THEN tsu END) OVER (PARTITION BY customer_id ORDER BY tsu RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS g1, min(CASE WHEN m2 THEN tsu END) OVER (PARTITION BY customer_id ORDER BY tsu RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS g2, CAST(NULL AS BIGINT) AS xn FROM seq) AS q WHERE m0 OR m1 OR m2
-- units
WITH sorted AS (SELECT start_id, f, row_number() OVER (PARTITION BY start_id ORDER BY f) AS r FROM (SELECT start_id, f0 AS f FROM stage UNION ALL SELECT start_id, f1 AS f FROM stage UNION ALL SELECT start_id, f2 AS f FROM stage) AS u WHERE f IS NOT NULL),
times AS (SELECT start_id, count(*) AS level, make_timestamp(max(CASE WHEN r = 1 THEN f END)) AS t0, make_timestamp(max(CASE WHEN r = 2 THEN f END)) AS t1, make_timestamp(max(CASE WHEN r = 3 THEN f END)) AS t2 FROM sorted GROUP BY start_id),
chain AS (SELECT a.customer_id AS customer_id, a.bv AS bv, a.tsu AS t0u, a.start_id AS start_id, t.t0 AS t0, t.t1 AS t1, t.t2 AS t2, a.bv AS v0, t.level AS level, COALESCE(CASE WHEN t.level = 3 THEN a.xn < epoch_us(t.t2) ELSE a.xn < a.tsu + 86400000000 END, FALSE) AS disq FROM stage AS a JOIN times AS t ON t.start_id = a.start_id),
ranged AS (SELECT *, CAST(NULL AS DATE) AS period, CAST(t0u + 86400000000 > 1774915200000000 AS BOOLEAN) AS is_open FROM chain WHERE TRUE),
kept AS (SELECT * FROM ranged WHERE NOT disq)
SELECT customer_id, COALESCE(v0, '(none)') AS breakdown, period, level, t0, t1, t2, in_progress FROM (SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY level DESC, t0, start_id) AS pick, bool_or(is_open) OVER (PARTITION BY customer_id) AS in_progress FROM kept) AS k WHERE pick = 1
-- steps
WITH labelled AS (SELECT u.*, CASE WHEN r.rank <= 10 THEN u.breakdown ELSE '(other)' END AS bd FROM units AS u JOIN (SELECT breakdown, row_number() OVER (ORDER BY count(*) DESC, breakdown) AS rank FROM units GROUP BY breakdown) AS r ON r.breakdown = u.breakdown)
SELECT 1 AS step, bd AS breakdown, count(t0) AS customers, NULL AS base, count(t0) AS first, count(CASE WHEN t0 IS NOT NULL AND t1 IS NULL AND NOT in_progress THEN 1 END) AS dropped, count(CASE WHEN t0 IS NOT NULL AND t1 IS NULL AND in_progress THEN 1 END) AS in_progress, median(NULL) AS median_seconds, avg(NULL) AS mean_seconds FROM labelled GROUP BY bd
UNION ALL
SELECT 2 AS step, bd AS breakdown, count(t1) AS customers, count(t0) AS base, count(t0) AS first, count(CASE WHEN t1 IS NOT NULL AND t2 IS NULL AND NOT in_progress THEN 1 END) AS dropped, count(CASE WHEN t1 IS NOT NULL AND t2 IS NULL AND in_progress THEN 1 END) AS in_progress, median((epoch_us(t1) - epoch_us(t0)) / 1e6) AS median_seconds, avg((epoch_us(t1) - epoch_us(t0)) / 1e6) AS mean_seconds FROM labelled GROUP BY bd
UNION ALL
SELECT 3 AS step, bd AS breakdown, count(t2) AS customers, count(t1) AS base, count(t0) AS first, count(CASE WHEN FALSE AND NOT in_progress THEN 1 END) AS dropped, count(CASE WHEN FALSE AND in_progress THEN 1 END) AS in_progress, median((epoch_us(t2) - epoch_us(t1)) / 1e6) AS median_seconds, avg((epoch_us(t2) - epoch_us(t1)) / 1e6) AS mean_seconds FROM labelled GROUP BY bd
