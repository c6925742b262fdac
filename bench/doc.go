// Package bench measures Tenure's write and read paths against baselines in one run, as
// DESIGN.md asks: every performance claim is a benchmark anyone can rerun.
//
// Ingest compares the events per second of three paths on the same engine, each on a
// freshly emptied database with the same members and, within a round, the same events:
//
//   - raw: the rows an order.paid writes, with database/sql alone, multi-row statements
//     group-committed per batch (the storage engine's ceiling for these rows);
//   - service: Intake.Ingest in process, one call per batch;
//   - http: POST /v1/events/batch to a real App on 127.0.0.1, from a few clients.
//
// Reads compares balance reads over HTTP with a bare net/http handler answering a body of
// the same size, by throughput and latency percentiles.
//
// Nothing here asserts a time: commands print what they measured next to the targets,
// and the tests check only that the work measured is the same work.
package bench
