-- An event's stored payload and result (the answer a replay returns, with the explanation
-- of every rule considered) are kept together, compressed, in one column: with a program
-- of twenty rules the two JSON texts took about 4.5 KB an event, more than a page, and two
-- thirds of the database. Rows written before keep their text columns; new rows leave
-- them empty.
ALTER TABLE events ADD COLUMN doc BYTEA;
