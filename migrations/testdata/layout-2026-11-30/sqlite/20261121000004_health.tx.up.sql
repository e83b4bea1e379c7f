-- Snippet health (issue 5): the cookie failures of page loads that carried
-- tally_ref (cookie_failures counts every load whose cookie test failed,
-- with or without a token), and an index for the retention prune.
ALTER TABLE snippet_pages ADD COLUMN ref_cookie_failures INTEGER NOT NULL DEFAULT 0;
CREATE INDEX snippet_pages_last_seen ON snippet_pages (last_seen);
