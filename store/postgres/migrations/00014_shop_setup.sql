-- +goose Up
-- The shop's profile as the seller sets it up (one row, id 1): name,
-- welcome per language (JSON), languages offered (JSON array), default
-- language, IANA zone, phone region, the one currency every price is in,
-- contact hours. No row: the shop has not been set up. Times are unix ms.
CREATE TABLE shop_profile (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    name          TEXT NOT NULL DEFAULT '',
    welcome       JSONB NOT NULL DEFAULT '{}',
    languages     JSONB NOT NULL DEFAULT '[]',
    default_lang  TEXT NOT NULL DEFAULT '',
    tz            TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL DEFAULT '',
    currency      TEXT NOT NULL DEFAULT '',
    contact_hours TEXT NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL
);

-- A hidden category is not shown to buyers (its products neither).
ALTER TABLE categories ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;

-- A point inside a special customs supervision zone (综合保税区): the
-- cross-border rules need to know.
ALTER TABLE pickup_points ADD COLUMN bonded_zone BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE pickup_points DROP COLUMN bonded_zone;
ALTER TABLE categories DROP COLUMN hidden;
DROP TABLE shop_profile;
