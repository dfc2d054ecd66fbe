-- People who log in, and what each may do: admin (everything), designer (forms),
-- official (reads everything under one place of the tree), cadre (fills and
-- reads for the households and villages paired with them). Passwords are
-- argon2id hashes; a disabled account keeps its history.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 2 AND 40),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    role           TEXT NOT NULL CHECK (role IN ('admin', 'designer', 'official', 'cadre')),
    place_code     TEXT REFERENCES places(code),
    unit           TEXT,
    phone          TEXT,
    password_hash  TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    CHECK (role != 'official' OR place_code IS NOT NULL)
);

-- A login: the cookie holds a random token, the table only its SHA-256.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    address       TEXT,
    user_agent    TEXT,
    ended_at      TEXT
);
CREATE INDEX sessions_user ON sessions(user_id, expires_at);

-- Tokens for scripts (Authorization: Bearer), named and revocable; stored hashed.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at  TEXT,
    UNIQUE (user_id, name)
);

-- The 双联 pairing: a cadre with a household, or with a whole village. Ended
-- pairings keep their dates, so "who was paired with this household" has an answer.
CREATE TABLE pairings (
    id            INTEGER PRIMARY KEY,
    cadre_id      INTEGER NOT NULL REFERENCES users(id),
    household_id  TEXT REFERENCES households(id),
    village_code  TEXT REFERENCES places(code),
    since         TEXT NOT NULL,
    until         TEXT,
    CHECK ((household_id IS NULL) != (village_code IS NULL))
);
CREATE UNIQUE INDEX pairings_current_household ON pairings(cadre_id, household_id)
    WHERE until IS NULL AND household_id IS NOT NULL;
CREATE UNIQUE INDEX pairings_current_village ON pairings(cadre_id, village_code)
    WHERE until IS NULL AND village_code IS NOT NULL;
CREATE INDEX pairings_household ON pairings(household_id) WHERE until IS NULL;
CREATE INDEX pairings_village ON pairings(village_code) WHERE until IS NULL;

-- A household's own link (and QR code) to one form: an unguessable token, kept
-- hashed, that expires and can be revoked.
CREATE TABLE household_links (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    household_id  TEXT NOT NULL REFERENCES households(id),
    form_id       TEXT NOT NULL REFERENCES forms(id),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX household_links_household ON household_links(household_id);

-- Failed logins, for throttling per account and per address (kept a day).
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    username  TEXT NOT NULL,
    address   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at);
CREATE INDEX login_failures_address ON login_failures(address, at);

-- Who did it from where: the audit log gains the address of the request.
ALTER TABLE audit_log ADD COLUMN address TEXT;
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_action ON audit_log(action, at);
