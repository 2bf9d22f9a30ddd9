package reports

import (
	"os"
	"testing"
)

func TestDevWrite(t *testing.T) {
	if os.Getenv("DEVOUT") == "" {
		t.Skip("DEVOUT not set")
	}
	if err := WriteWorkbook(os.Getenv("DEVOUT")+"/full.xlsx", fullResult(), fixtureAbout()); err != nil {
		t.Fatal(err)
	}
	if err := WriteWorkbook(os.Getenv("DEVOUT")+"/empty.xlsx", emptyResult(), About{}); err != nil {
		t.Fatal(err)
	}
}
