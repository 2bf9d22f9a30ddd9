WITH ev AS (
  SELECT
    stream_id, user_pseudo_id, user_id, event_timestamp, event_name,
    device.category AS segment,
    (SELECT value.int_value FROM UNNEST(event_params) WHERE key = 'ga_session_id') AS session_id,
    LOWER((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'source')) AS hit_source,
    LOWER((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'medium')) AS hit_medium,
    (SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'campaign') AS hit_campaign,
    COALESCE((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'page_location'), '') LIKE '%gclid=%' AS hit_gclid,
    NULLIF(NULLIF(ecommerce.transaction_id, ''), '(not set)') AS order_id,
    ecommerce.purchase_revenue AS revenue,
    ecommerce.refund_value AS refund
  FROM `analytics.analytics_123456.events_*`
  WHERE _TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix
    AND event_timestamp >= UNIX_MICROS(@start) AND event_timestamp < UNIX_MICROS(@end)
),
hits AS (
  SELECT *,
    CASE
      WHEN hit_gclid THEN STRUCT('google' AS source, 'cpc' AS medium, COALESCE(hit_campaign, '(cpc)') AS campaign)
      WHEN hit_source IS NOT NULL AND hit_source != '(direct)'
        THEN STRUCT(hit_source AS source, COALESCE(hit_medium, '(none)') AS medium, hit_campaign AS campaign)
    END AS hit
  FROM ev
),
sessions AS (
  SELECT *,
    FIRST_VALUE(IF(event_name IN ('session_start', 'first_visit'), NULL, hit) IGNORE NULLS) OVER (
      PARTITION BY stream_id, user_pseudo_id, session_id
      ORDER BY event_timestamp, event_name, hit.source, hit.medium, hit.campaign
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS session
  FROM hits
),
traffic AS (
  SELECT *,
    session AS session_source
  FROM sessions
),
refunds AS (
  SELECT order_id, SUM(COALESCE(refund, 0)) AS refunded
  FROM traffic
  WHERE event_name = 'refund' AND order_id IS NOT NULL
  GROUP BY order_id
)
SELECT
  CONCAT(stream_id, ':', user_pseudo_id) AS customer_id,
  TIMESTAMP_MICROS(event_timestamp) AS event_time,
  event_name,
  IF(session_id IS NULL, NULL,
    CASE
      WHEN (session_source.source IS NULL AND session_source.medium IS NULL) OR (session_source.source = '(direct)' AND session_source.medium IN ('(none)', '(not set)')) THEN 'Direct'
      WHEN REGEXP_CONTAINS(session_source.campaign, r'cross-network') THEN 'Cross-network'
      WHEN (REGEXP_CONTAINS(session_source.source, r'(^|\.)(amazon|ebay|etsy|shopify|walmart|aliexpress|shopping\.google|google\.shopping)(\.|$)') OR REGEXP_CONTAINS(session_source.campaign, r'^(.*(([^a-df-z]|^)shop|shopping).*)$')) AND REGEXP_CONTAINS(session_source.medium, r'^(.*cp.*|ppc|retargeting|paid.*)$') THEN 'Paid Shopping'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(google|bing|yahoo|baidu|yandex|duckduckgo|ecosia|naver|seznam|qwant|startpage|ask|aol|daum|sogou)(\.|$)') AND REGEXP_CONTAINS(session_source.medium, r'^(.*cp.*|ppc|retargeting|paid.*)$') THEN 'Paid Search'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(facebook|fb|m\.facebook|l\.facebook|instagram|linkedin|lnkd|twitter|t\.co|x|pinterest|reddit|tiktok|snapchat|threads|vk|weibo|quora|tumblr)(\.|$)') AND REGEXP_CONTAINS(session_source.medium, r'^(.*cp.*|ppc|retargeting|paid.*)$') THEN 'Paid Social'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(youtube|youtu\.be|m\.youtube|vimeo|twitch|dailymotion)(\.|$)') AND REGEXP_CONTAINS(session_source.medium, r'^(.*cp.*|ppc|retargeting|paid.*)$') THEN 'Paid Video'
      WHEN session_source.medium IN ('display', 'banner', 'expandable', 'interstitial', 'cpm') THEN 'Display'
      WHEN REGEXP_CONTAINS(session_source.medium, r'^(.*cp.*|ppc|retargeting|paid.*)$') THEN 'Paid Other'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(amazon|ebay|etsy|shopify|walmart|aliexpress|shopping\.google|google\.shopping)(\.|$)') OR REGEXP_CONTAINS(session_source.campaign, r'^(.*(([^a-df-z]|^)shop|shopping).*)$') THEN 'Organic Shopping'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(facebook|fb|m\.facebook|l\.facebook|instagram|linkedin|lnkd|twitter|t\.co|x|pinterest|reddit|tiktok|snapchat|threads|vk|weibo|quora|tumblr)(\.|$)') OR session_source.medium IN ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media') THEN 'Organic Social'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(youtube|youtu\.be|m\.youtube|vimeo|twitch|dailymotion)(\.|$)') OR REGEXP_CONTAINS(session_source.medium, r'^(.*video.*)$') THEN 'Organic Video'
      WHEN REGEXP_CONTAINS(session_source.source, r'(^|\.)(google|bing|yahoo|baidu|yandex|duckduckgo|ecosia|naver|seznam|qwant|startpage|ask|aol|daum|sogou)(\.|$)') OR session_source.medium = 'organic' THEN 'Organic Search'
      WHEN session_source.medium IN ('referral', 'app', 'link') THEN 'Referral'
      WHEN REGEXP_CONTAINS(session_source.source, r'email|e-mail|e_mail|e mail') OR REGEXP_CONTAINS(session_source.medium, r'email|e-mail|e_mail|e mail') THEN 'Email'
      WHEN session_source.medium = 'affiliate' THEN 'Affiliates'
      WHEN session_source.medium = 'audio' THEN 'Audio'
      WHEN session_source.source = 'sms' OR session_source.medium = 'sms' THEN 'SMS'
      WHEN REGEXP_CONTAINS(session_source.medium, r'push$') OR REGEXP_CONTAINS(session_source.medium, r'mobile|notification') OR session_source.source = 'firebase' THEN 'Mobile Push Notifications'
      ELSE 'Unassigned'
    END) AS touchpoint,
  IF(session_id IS NULL, NULL, session_source.campaign) AS campaign,
  segment,
  order_id,
  IF(event_name IN UNNEST(@order_values), GREATEST(revenue - COALESCE(refunded, 0), 0), revenue) AS revenue
FROM traffic LEFT JOIN refunds USING (order_id)
WHERE user_pseudo_id IS NOT NULL AND event_name != 'refund'
-- @start_suffix = STRING '20260131'
-- @end_suffix = STRING '20260501'
-- @start = TIMESTAMP '2026-02-01 00:00:00 UTC'
-- @end = TIMESTAMP '2026-04-30 00:00:00 UTC'
-- @order_values = ARRAY<STRING> ['purchase']
