-- A vendor's time zone (IANA name): where its days begin and end, for the
-- periods of analytics and exports.
ALTER TABLE vendors ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
