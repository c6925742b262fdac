// Package importer reads a store's order history from a CSV of order lines (one row per
// invoice line, plain or gzip) and turns it into member orders and refunds for the rest of
// Tenure: to seed analytics and, optionally, to grant points retroactively.
//
// The defaults read the UCI Online Retail file (InvoiceNo, StockCode, Description,
// Quantity, InvoiceDate, UnitPrice, CustomerID, Country); a [Mapping] adapts column names,
// date layout, currency and number format to other exports.
//
// Reading streams. [Reader] holds one row; [Import] also holds a bounded window of open
// invoices (lines of one invoice are expected together; see Config.Window for lines that
// stray), the ids of closed invoices, and a compact index of members' purchased lines
// (about 40 bytes a line) to match cancellations against; never the file itself. Prices are
// parsed as decimal text into integer minor units, never through a float. Every row ends up
// kept, skipped or rejected, and the [Summary] accounts for each; rejected rows are written
// with their reason to a CSV for the store to fix.
package importer
