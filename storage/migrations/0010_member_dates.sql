-- Birthdays and enrolment anniversaries, found by date for the daily member.birthday and
-- member.anniversary events. birthday_md is the birthday's "MM-DD" ('' for none; NULL
-- until the row is next written or indexed by the daily job), birthday_since when the
-- member's birthday was last set.
ALTER TABLE members ADD COLUMN birthday_md TEXT;
ALTER TABLE members ADD COLUMN birthday_since BIGINT;
CREATE INDEX members_birthday ON members (tenant_id, birthday_md);
CREATE INDEX members_enrolled ON members (tenant_id, enrolled_at);
