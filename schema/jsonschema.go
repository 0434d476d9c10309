package schema

import (
	"embed"
	"io/fs"
)

//go:embed jsonschema/*.json
var jsonSchemas embed.FS

// JSONSchemas holds the JSON Schema (draft 2020-12) of every event type:
// common.v1.json, project.v1.json, investment_report.v1.json and
// milestone_update.v1.json. They describe the wire format for other
// systems; the Go validation in this package is the authority and also
// checks what JSON Schema cannot (ytd ≥ month, ownership, future periods).
func JSONSchemas() fs.FS {
	sub, err := fs.Sub(jsonSchemas, "jsonschema")
	if err != nil {
		panic(err) // the embedded folder exists at build time
	}
	return sub
}

// JSONSchemaFile names the JSON Schema file of a kind.
func JSONSchemaFile(k Kind) string {
	switch k {
	case KindProject:
		return "project.v1.json"
	case KindInvestment:
		return "investment_report.v1.json"
	case KindMilestone:
		return "milestone_update.v1.json"
	}
	return ""
}
