-- A place's registered rural population (户籍人口), from the places import. Poverty
-- incidence is poor people over it; households_registered alone cannot give it,
-- and a report prints 无数据 rather than guess while it is unknown.
ALTER TABLE places ADD COLUMN population_registered INTEGER
    CHECK (population_registered >= 0);

DROP VIEW villages;
CREATE VIEW villages AS
SELECT v.code, v.name, t.prefix AS township_code, t.name AS township_name,
       c.prefix AS county_code, c.name AS county_name, ci.name AS city_name,
       v.households_registered, v.population_registered
FROM places v
JOIN places t ON t.code = v.parent_code
JOIN places c ON c.code = t.parent_code
JOIN places ci ON ci.code = c.parent_code
WHERE v.level = 'village';
