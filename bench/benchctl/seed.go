package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// seed creates a vendor, partners and links through the real API.
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8090", "Tally's base URL")
	admin := fs.String("admin", "", "TALLY_ADMIN_TOKEN")
	partners := fs.Int("partners", 10, "partners to create")
	links := fs.Int("links", 100, "links to create, spread over the partners")
	keysFile := fs.String("keys", "", "file to write the link keys to")
	fs.Parse(args)
	if *admin == "" || *keysFile == "" {
		return fmt.Errorf("seed: -admin and -keys are required")
	}
	var vendor struct {
		ID        string `json:"id"`
		SecretKey string `json:"secret_key"`
	}
	if err := call(*base+"/admin/v1/vendors", *admin, map[string]any{"name": "Bench Shop", "domain": "shop.example.com"}, &vendor); err != nil {
		return err
	}
	var pids []string
	for i := range *partners {
		var p struct {
			ID string `json:"id"`
		}
		body := map[string]any{"name": fmt.Sprintf("Partner %d", i+1), "email": fmt.Sprintf("partner%d@example.net", i+1)}
		if err := call(*base+"/v1/partners", vendor.SecretKey, body, &p); err != nil {
			return err
		}
		pids = append(pids, p.ID)
	}
	paths := []string{"/pricing?plan=pro", "/", "/blog/launch-week?ref=partners#signup", "/products/standing-desk", "/signup"}
	var keys []string
	for i := range *links {
		body := map[string]any{
			"partner_id":      pids[i%len(pids)],
			"destination_url": "https://shop.example.com" + paths[i%len(paths)],
		}
		if i%2 == 0 {
			body["utm"] = map[string]string{"source": "partner", "medium": "affiliate", "campaign": fmt.Sprintf("spring-%d", i%7)}
		}
		var l struct {
			Key string `json:"key"`
		}
		if err := call(*base+"/v1/links", vendor.SecretKey, body, &l); err != nil {
			return err
		}
		keys = append(keys, l.Key)
	}
	if err := os.WriteFile(*keysFile, []byte(strings.Join(keys, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("seeded vendor %s: %d partners, %d links -> %s\n", vendor.ID, len(pids), len(keys), *keysFile)
	return nil
}

func call(url, bearer string, body, out any) error {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// rows prints the number of click rows.
func rows(args []string) error {
	fs := flag.NewFlagSet("rows", flag.ExitOnError)
	dsn := fs.String("db", "", "PostgreSQL URL of the bench database")
	settle := fs.Bool("settle", false, "wait until the count stops moving")
	fs.Parse(args)
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(*dsn)))
	defer db.Close()
	count := func() (int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var n int64
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM clicks").Scan(&n)
		return n, err
	}
	n, err := count()
	if err != nil {
		return err
	}
	for i := 0; *settle && i < 60; i++ {
		time.Sleep(500 * time.Millisecond)
		m, err := count()
		if err != nil {
			return err
		}
		if m == n {
			break
		}
		n = m
	}
	fmt.Println(n)
	return nil
}
