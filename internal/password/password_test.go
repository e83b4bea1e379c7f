package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry its parameters", h)
	}
	if !Verify(h, "correct horse battery") {
		t.Error("the right password does not verify")
	}
	if Verify(h, "correct horse batterY") {
		t.Error("a wrong password verifies")
	}
	h2, _ := Hash("correct horse battery")
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	if NeedsRehash(h) {
		t.Error("a current hash needs rehash")
	}
}

func TestOlderParamsStillVerify(t *testing.T) {
	weak := Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h, err := hashWith("an older password", weak)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(h, "an older password") {
		t.Error("a hash with older parameters does not verify")
	}
	if !NeedsRehash(h) {
		t.Error("a hash with weaker parameters does not need rehash")
	}
}

func TestMalformed(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if Verify(h, "x") {
			t.Errorf("malformed hash %q verifies", h)
		}
		if !NeedsRehash(h) {
			t.Errorf("malformed hash %q does not need rehash", h)
		}
	}
	if Verify(dummy, strings.Repeat("x", maxLen+1)) {
		t.Error("an over-long password verifies")
	}
}
