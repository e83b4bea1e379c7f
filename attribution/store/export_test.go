package store

// The two PostgreSQL statements of a click batch, for BenchmarkClickStatements.
var (
	InsertNewClicks = insertNewClicks
	CopyClicks      = copyClicks
)
