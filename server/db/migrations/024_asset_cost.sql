-- 024_asset_cost: an asset's optional cost per hour of downtime (issue 12, the cost calculator),
-- in integer minor units (cents) of the organisation's currency, so an incident's downtime line
-- can take its hourly cost from the inventory. NULL: not known.
ALTER TABLE assets ADD COLUMN cost_per_hour bigint CHECK (cost_per_hour BETWEEN 0 AND 1000000000);
