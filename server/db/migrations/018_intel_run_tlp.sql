-- 018: a feed run counts the items whose TLP label it did not understand (stored at the feed's
-- TLP or stricter, never looser), so an admin sees a feed writing labels Sentpilot cannot read.
ALTER TABLE intel_feed_runs ADD COLUMN tlp_unrecognised integer NOT NULL DEFAULT 0;
