-- Places: the administrative tree province > city > county > township > village,
-- each under its 12-digit statistical code (统计用区划代码). `prefix` is the part
-- of the code that names it (2, 4, 6, 9 or 12 digits), so "everything under a
-- place" is a range of village codes: code >= prefix AND code < prefix || ':'.
CREATE TABLE places (
    code                   TEXT PRIMARY KEY
                             CHECK (length(code) = 12 AND code NOT GLOB '*[^0-9]*'),
    level                  TEXT NOT NULL
                             CHECK (level IN ('province', 'city', 'county', 'township', 'village')),
    name                   TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    parent_code            TEXT REFERENCES places(code),
    prefix                 TEXT NOT NULL,
    households_registered  INTEGER CHECK (households_registered >= 0),
    CHECK ((level = 'province') = (parent_code IS NULL)),
    CHECK (prefix = substr(code, 1, CASE level WHEN 'province' THEN 2 WHEN 'city' THEN 4
                                    WHEN 'county' THEN 6 WHEN 'township' THEN 9 ELSE 12 END))
);
CREATE INDEX places_parent ON places(parent_code, code);
CREATE INDEX places_level ON places(level, code);

-- Groups (村民小组 / 社) within a village have no code of their own.
CREATE TABLE village_groups (
    village_code  TEXT NOT NULL REFERENCES places(code),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 20),
    PRIMARY KEY (village_code, name)
);

-- The places the old villages table named, moved into the tree. Provinces are
-- named from the national list; a city, county or township gets the name the
-- villages table gave it.
INSERT INTO places (code, level, name, parent_code, prefix)
SELECT DISTINCT substr(code, 1, 2) || '0000000000', 'province',
       CASE substr(code, 1, 2)
         WHEN '11' THEN '北京市' WHEN '12' THEN '天津市' WHEN '13' THEN '河北省'
         WHEN '14' THEN '山西省' WHEN '15' THEN '内蒙古自治区' WHEN '21' THEN '辽宁省'
         WHEN '22' THEN '吉林省' WHEN '23' THEN '黑龙江省' WHEN '31' THEN '上海市'
         WHEN '32' THEN '江苏省' WHEN '33' THEN '浙江省' WHEN '34' THEN '安徽省'
         WHEN '35' THEN '福建省' WHEN '36' THEN '江西省' WHEN '37' THEN '山东省'
         WHEN '41' THEN '河南省' WHEN '42' THEN '湖北省' WHEN '43' THEN '湖南省'
         WHEN '44' THEN '广东省' WHEN '45' THEN '广西壮族自治区' WHEN '46' THEN '海南省'
         WHEN '50' THEN '重庆市' WHEN '51' THEN '四川省' WHEN '52' THEN '贵州省'
         WHEN '53' THEN '云南省' WHEN '54' THEN '西藏自治区' WHEN '61' THEN '陕西省'
         WHEN '62' THEN '甘肃省' WHEN '63' THEN '青海省' WHEN '64' THEN '宁夏回族自治区'
         WHEN '65' THEN '新疆维吾尔自治区' ELSE substr(code, 1, 2) END,
       NULL, substr(code, 1, 2)
FROM villages;
INSERT INTO places (code, level, name, parent_code, prefix)
SELECT substr(code, 1, 4) || '00000000', 'city', min(city_name),
       substr(code, 1, 2) || '0000000000', substr(code, 1, 4)
FROM villages GROUP BY substr(code, 1, 4);
INSERT INTO places (code, level, name, parent_code, prefix)
SELECT county_code || '000000', 'county', min(county_name),
       substr(county_code, 1, 4) || '00000000', county_code
FROM villages GROUP BY county_code;
INSERT INTO places (code, level, name, parent_code, prefix)
SELECT township_code || '000', 'township', min(township_name),
       county_code || '000000', township_code
FROM villages GROUP BY township_code;
INSERT INTO places (code, level, name, parent_code, prefix, households_registered)
SELECT code, 'village', name, township_code || '000', code, households_registered
FROM villages;

DROP TABLE villages;

-- What reports and the front page read: one row per village with its township,
-- county and city, as the villages table had them.
CREATE VIEW villages AS
SELECT v.code, v.name, t.prefix AS township_code, t.name AS township_name,
       c.prefix AS county_code, c.name AS county_name, ci.name AS city_name,
       v.households_registered
FROM places v
JOIN places t ON t.code = v.parent_code
JOIN places c ON c.code = t.parent_code
JOIN places ci ON ci.code = c.parent_code
WHERE v.level = 'village';

-- The household roster (建档立卡户). A household is its id, whoever its head is:
-- a new head, a corrected ID number or a new name change the row, never the id.
-- `roster_no` is the 户编号 of the national system when the import gave one.
CREATE TABLE households (
    id              TEXT PRIMARY KEY,
    roster_no       TEXT UNIQUE,
    village_code    TEXT NOT NULL REFERENCES places(code),
    group_name      TEXT,
    head_name       TEXT NOT NULL CHECK (length(head_name) BETWEEN 1 AND 40),
    head_id_number  TEXT,
    category        TEXT NOT NULL
                      CHECK (category IN ('not_out', 'out', 'monitored', 'general')),
    members         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(members)),
    member_count    INTEGER NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    phone           TEXT,
    status          TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'proposed', 'rejected', 'removed')),
    proposed_by     TEXT,
    reviewed_by     TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX households_head_id ON households(head_id_number)
    WHERE head_id_number IS NOT NULL AND status IN ('active', 'proposed');
CREATE INDEX households_village ON households(village_code, status, head_name);

-- An answer is about a household of the roster (or a village, for a village-level
-- form), named by the client beside the answers; `submitted_by` is who sent it.
ALTER TABLE submissions ADD COLUMN household_id TEXT REFERENCES households(id);
ALTER TABLE submissions ADD COLUMN submitted_by TEXT;
CREATE INDEX submissions_household_id ON submissions(household_id, survey_date, received_at);

-- Reports draw each household's current answer (not corrected since) by roster id.
DROP INDEX submissions_report_village;
DROP INDEX submissions_report_county;
CREATE INDEX submissions_report_village ON submissions(
    form_id, village_code, survey_date, household_id, received_at,
    household_category, per_capita_income, member_count)
    WHERE household_id IS NOT NULL AND corrected_by IS NULL;
CREATE INDEX submissions_report_county ON submissions(
    form_id, county_code, survey_date, household_id, received_at, village_code,
    household_category, per_capita_income, member_count)
    WHERE household_id IS NOT NULL AND corrected_by IS NULL;
