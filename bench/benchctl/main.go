// Command benchctl is the helper of bench/run.sh:
//
//	benchctl seed -url URL -admin TOKEN [-partners N] [-links N] -keys FILE
//	    creates a vendor, partners and links through Tally's real API and
//	    writes the link keys to FILE, one a line;
//	benchctl rows -db URL [-settle]
//	    prints how many click rows the database holds (with -settle, waits
//	    until the count stops moving first);
//	benchctl vegeta FILE...
//	    summarises vegeta results files (status codes, errors, exact
//	    latency percentiles measured from the intended send time);
//	benchctl report -dir DIR -md BENCHMARKS.md
//	    writes the "Redirect throughput and durability (issue 2)" section of
//	    BENCHMARKS.md from the run's outputs, keeping the file's other sections.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchctl seed|rows|vegeta|report ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "rows":
		err = rows(os.Args[2:])
	case "vegeta":
		err = vegetaCmd(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchctl:", err)
		os.Exit(1)
	}
}
