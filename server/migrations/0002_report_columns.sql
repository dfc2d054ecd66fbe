-- Columns the reports filter and aggregate on, extracted once into indexes so
-- a county roll-up does not parse every answer to find the ones it needs.
-- (SQLite adds only VIRTUAL generated columns to an existing table; an index
-- on one stores the value, so reads through the index parse no JSON.)
ALTER TABLE submissions ADD COLUMN survey_date TEXT
    GENERATED ALWAYS AS (json_extract(answers, '$.survey.date')) VIRTUAL;
ALTER TABLE submissions ADD COLUMN county_code TEXT
    GENERATED ALWAYS AS (substr(village_code, 1, 6)) VIRTUAL;
ALTER TABLE submissions ADD COLUMN household_category TEXT
    GENERATED ALWAYS AS (json_extract(answers, '$.household.category')) VIRTUAL;
ALTER TABLE submissions ADD COLUMN per_capita_income REAL
    GENERATED ALWAYS AS (json_extract(derived, '$.per_capita_income')) VIRTUAL;
ALTER TABLE submissions ADD COLUMN member_count INTEGER
    GENERATED ALWAYS AS (json_extract(derived, '$.members')) VIRTUAL;

-- Drawing a period: the scope and date range pick rows, the latest per household
-- is chosen by (survey_date, received_at), and the fingerprint a report is cached
-- under is read from the same index without touching the answers.
CREATE INDEX submissions_report_village ON submissions(
    form_id, village_code, survey_date, household_key, received_at,
    household_category, per_capita_income, member_count);
CREATE INDEX submissions_report_county ON submissions(
    form_id, county_code, survey_date, household_key, received_at, village_code,
    household_category, per_capita_income, member_count);
