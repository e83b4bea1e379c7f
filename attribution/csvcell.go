package attribution

// CSVText neutralises one text cell of a CSV export. Spreadsheets run a
// cell that begins with =, +, -, @, a tab or a carriage return as a formula,
// and export text comes partly from anonymous visitors (UTM values, emails,
// names), so such a cell gets a leading apostrophe and reads as text.
// Numeric columns (amounts, counts) are written as numbers and never pass
// through here, so a negative amount stays a number.
func CSVText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
