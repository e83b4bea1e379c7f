-- The partner program's public side: the vendor's /join/{slug} page,
-- what an applicant typed about their audience, and partner invite links.

-- The slug is unique per deployment once chosen; '' until then.
ALTER TABLE vendors ADD COLUMN program_page_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE vendors ADD COLUMN program_page_slug TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX vendors_program_page_slug ON vendors (program_page_slug) WHERE program_page_slug <> '';

-- "Website or audience", as typed on the program page.
ALTER TABLE partners ADD COLUMN website TEXT NOT NULL DEFAULT '';

-- One-time invite links (stored hashed) that make an invited partner
-- active; a partner's newer link replaces its older ones.
CREATE TABLE partner_invites (
    token_hash TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    created_at {{timestamptz}} NOT NULL,
    expires_at {{timestamptz}} NOT NULL,
    used_at    {{timestamptz}}
);
CREATE INDEX partner_invites_partner ON partner_invites (partner_id);
