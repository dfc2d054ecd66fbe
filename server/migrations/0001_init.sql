-- Forms are identities; each published version is immutable and every
-- submission names the exact version it was validated against.
CREATE TABLE forms (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE form_versions (
    form_id       TEXT NOT NULL REFERENCES forms(id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    schema        TEXT NOT NULL CHECK (json_valid(schema)),
    schema_hash   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('published', 'retired')),
    published_by  TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
);

-- Administrative divisions the demo and the reports know by name.
CREATE TABLE villages (
    code                   TEXT PRIMARY KEY CHECK (length(code) = 12),
    name                   TEXT NOT NULL,
    township_code          TEXT NOT NULL,
    township_name          TEXT NOT NULL,
    county_code            TEXT NOT NULL,
    county_name            TEXT NOT NULL,
    city_name              TEXT NOT NULL,
    households_registered  INTEGER CHECK (households_registered >= 0)
);
CREATE INDEX villages_county ON villages(county_code);

-- One row per answer, keyed by the UUID the phone chose, so a resend is
-- recognised instead of stored twice.
CREATE TABLE submissions (
    id             TEXT PRIMARY KEY,
    form_id        TEXT NOT NULL,
    form_version   INTEGER NOT NULL,
    received_at    TEXT NOT NULL,
    body_hash      TEXT NOT NULL,
    answers        TEXT NOT NULL CHECK (json_valid(answers)),
    derived        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(derived)),
    village_code   TEXT,
    household_key  TEXT,
    FOREIGN KEY (form_id, form_version) REFERENCES form_versions(form_id, version)
);
CREATE INDEX submissions_form_village ON submissions(form_id, village_code, received_at);
CREATE INDEX submissions_household ON submissions(household_key, received_at);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
);
CREATE INDEX audit_log_target ON audit_log(target, at);
