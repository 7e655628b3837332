-- Undoes 0001_users.up.sql.
DROP TABLE users;
DROP FUNCTION users_touch_updated_at();
