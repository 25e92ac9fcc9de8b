package uuid

import "testing"

func TestNil(t *testing.T) {
	if Nil != (UUID{}) {
		t.Fatal("Nil is not empty")
	}
}
