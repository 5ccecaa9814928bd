-- A feed run's related objects (STIX malware, tools, actors, attack patterns, CISA KEV
-- vulnerabilities) counted apart from its indicators: a KEV run stores objects only and
-- used to show "parsed 0".
ALTER TABLE intel_feed_runs ADD COLUMN objects integer NOT NULL DEFAULT 0;
