-- Listing a form's answers page by page. A page starts after the last row of the
-- page before (an `after` cursor) instead of at an OFFSET that reads every row it
-- skips. The position is the rowid, which the one writer hands out in commit
-- order: an answer stored while a client pages through lands after every page
-- already read, never among them (received_at could not promise that: two answers
-- of the same millisecond commit in either order of their ids). A PostgreSQL port
-- needs an identity column in its place. In SQLite every index ends with the
-- rowid, so these give a form's, a village's and a county's answers in stored
-- order; the village index replaces one that ordered by received_at.
DROP INDEX submissions_form_village;
CREATE INDEX submissions_form_village ON submissions(form_id, village_code);
CREATE INDEX submissions_form ON submissions(form_id);
CREATE INDEX submissions_form_county ON submissions(form_id, county_code);

-- How many answers each form has in each village, kept by triggers in the same
-- transaction as the answer itself (whatever stores it), so a listing's total is
-- a sum over villages rather than a count over a million answers. An answer
-- without a village is counted under ''.
CREATE TABLE submission_counts (
    form_id       TEXT NOT NULL,
    village_code  TEXT NOT NULL,
    answers       INTEGER NOT NULL CHECK (answers >= 0),
    PRIMARY KEY (form_id, village_code)
);

INSERT INTO submission_counts (form_id, village_code, answers)
    SELECT form_id, coalesce(village_code, ''), count(*) FROM submissions
    GROUP BY form_id, coalesce(village_code, '');

CREATE TRIGGER submission_counts_insert AFTER INSERT ON submissions
BEGIN
    INSERT INTO submission_counts (form_id, village_code, answers)
        VALUES (NEW.form_id, coalesce(NEW.village_code, ''), 1)
        ON CONFLICT (form_id, village_code) DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER submission_counts_delete AFTER DELETE ON submissions
BEGIN
    UPDATE submission_counts SET answers = answers - 1
        WHERE form_id = OLD.form_id AND village_code = coalesce(OLD.village_code, '');
END;

CREATE TRIGGER submission_counts_move AFTER UPDATE OF form_id, village_code ON submissions
BEGIN
    UPDATE submission_counts SET answers = answers - 1
        WHERE form_id = OLD.form_id AND village_code = coalesce(OLD.village_code, '');
    INSERT INTO submission_counts (form_id, village_code, answers)
        VALUES (NEW.form_id, coalesce(NEW.village_code, ''), 1)
        ON CONFLICT (form_id, village_code) DO UPDATE SET answers = answers + 1;
END;
