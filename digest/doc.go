// Package digest will build the daily digests the committee reviews from the store
// and render them for Telegram, as an HTML brief and as an XLSX workbook. It holds
// nothing yet: the digests are their own issue, after intake and classification.
package digest
