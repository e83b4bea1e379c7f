-- Every key a link has had: its current key (links."key") and its aliases,
-- the keys it had before, which still redirect so that printed QR codes
-- never die. The primary key makes keys and aliases one namespace across
-- the deployment, as /r/{key} is.
CREATE TABLE link_keys (
    "key"      TEXT PRIMARY KEY,
    link_id    TEXT NOT NULL REFERENCES links (id),
    vendor_id  TEXT NOT NULL,
    created_at {{timestamptz}} NOT NULL
);
CREATE INDEX link_keys_link_id ON link_keys (link_id);

INSERT INTO link_keys ("key", link_id, vendor_id, created_at)
SELECT "key", id, vendor_id, created_at FROM links;
