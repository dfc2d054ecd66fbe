-- A correction of an answer already sent is a new answer that names the one it
-- corrects; the corrected one is kept (its history stays readable) but is no
-- longer its household's current answer. `corrected_by` is set on the earlier
-- answer in the same transaction that stores the correction, so "current" is a
-- column test, not a search. An answer is corrected at most once: a later
-- correction corrects the correction.
ALTER TABLE submissions ADD COLUMN corrects TEXT REFERENCES submissions(id);
ALTER TABLE submissions ADD COLUMN corrected_by TEXT REFERENCES submissions(id);
CREATE UNIQUE INDEX submissions_corrects ON submissions(corrects) WHERE corrects IS NOT NULL;

-- One row, rewritten by /healthz while the storage is failing, so a disk that
-- came back is noticed without waiting for the next answer.
CREATE TABLE health_probe (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  TEXT NOT NULL
);
