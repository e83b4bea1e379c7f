package attribution

import (
	"strconv"
	"strings"
)

// Payout file formats: the bulk files PayPal Payouts and Wise batch
// payments take.
const (
	PayoutFilePayPal = "paypal"
	PayoutFileWise   = "wise"
)

// PayoutFileFormats lists the payout file formats, for the format parameter.
var PayoutFileFormats = []string{PayoutFilePayPal, PayoutFileWise}

// MajorUnits writes an amount of minor units in major units with the
// currency's decimals (CurrencyDigits) and a dot: 1999 USD is "19.99",
// 1999 JPY "1999", 1999 KWD "1.999", -5 USD "-0.05".
func MajorUnits(amount int64, currency string) string {
	digits := CurrencyDigits(currency)
	sign, abs := "", uint64(amount)
	if amount < 0 {
		sign, abs = "-", uint64(-(amount+1))+1 // no overflow at math.MinInt64
	}
	s := strconv.FormatUint(abs, 10)
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}

// PayoutFileRows returns the rows of a batch's file in format, header first
// when the format has one. Every text cell goes through CSVText; amounts
// are numbers in major units.
//
// PayPal's Payouts file has no header; each row is the recipient (the
// partner's PayPal email, else its email: no payout method is needed),
// the amount, the currency, a customer id (the partner id, at most 30
// characters), a note, and the wallet (PAYPAL).
//
// Wise's "send to bank accounts" template names its columns; a partner
// without Wise details gets a row with its email and no account, which
// Wise pays by email (the recipient enters their bank details).
func PayoutFileRows(p *Payout, format, vendorName string) ([][]string, error) {
	note := "Payout " + p.ID + " from " + vendorName
	cur := strings.ToUpper(p.Currency)
	var rows [][]string
	switch format {
	case PayoutFilePayPal:
		for _, it := range p.Items {
			recipient := it.Partner.Email
			if m := it.Partner.PayoutMethod; m != nil && m.Type == PayoutPayPal {
				recipient = m.Email
			}
			rows = append(rows, []string{
				CSVText(recipient), MajorUnits(it.Amount, p.Currency), cur, CSVText(it.PartnerID), CSVText(note), "PAYPAL",
			})
		}
	case PayoutFileWise:
		rows = append(rows, []string{"name", "recipientEmail", "paymentReference", "receiverType", "amountCurrency",
			"amount", "sourceCurrency", "targetCurrency", "IBAN", "BIC"})
		for _, it := range p.Items {
			name, iban, bic, target := it.Partner.Name, "", "", cur
			if m := it.Partner.PayoutMethod; m != nil && m.Type == PayoutWise {
				name, iban, bic, target = m.Name, m.IBAN, m.BIC, strings.ToUpper(m.Currency)
			}
			rows = append(rows, []string{
				CSVText(name), CSVText(it.Partner.Email), CSVText(p.ID), "PRIVATE", "source",
				MajorUnits(it.Amount, p.Currency), cur, CSVText(target), CSVText(iban), CSVText(bic),
			})
		}
	default:
		return nil, Errorf(EINVALID, "format must be %q or %q.", PayoutFilePayPal, PayoutFileWise)
	}
	return rows, nil
}
