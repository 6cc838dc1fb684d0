package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Catalog is both systems' metadata, as imported from their CSDL documents by
// dualsync import-metadata and committed as CUE (package catalog).
type Catalog struct {
	FO FOCatalog `json:"fo"`
	DV DVCatalog `json:"dv"`
}

// FOCatalog is the F&O OData metadata.
type FOCatalog struct {
	// Entities by entity set name (the public collection name, e.g. CustomersV3).
	Entities map[string]*FOEntity `json:"entities"`
	// Enums by their qualified type name, e.g. Microsoft.Dynamics.DataEntities.NoYes.
	Enums map[string]*Enum `json:"enums"`
}

// FOEntity is one F&O data entity.
type FOEntity struct {
	EntitySet  string `json:"entitySet"`
	EntityType string `json:"entityType"`
	// Key lists the entity key fields in order.
	Key []string `json:"key"`
	// CompanySpecific is true when dataAreaId is part of the key.
	CompanySpecific bool `json:"companySpecific"`
	// ModifiedField is the field carrying the last modified time, if any.
	ModifiedField string                `json:"modifiedField,omitempty"`
	Fields        map[string]*FieldMeta `json:"fields"`
}

// DVCatalog is the Dataverse Web API metadata.
type DVCatalog struct {
	// Tables by logical name, e.g. account.
	Tables map[string]*DVTable `json:"tables"`
}

// DVTable is one Dataverse table.
type DVTable struct {
	LogicalName string `json:"logicalName"`
	EntitySet   string `json:"entitySet"`
	PrimaryID   string `json:"primaryId"`
	// AlternateKeys lists each alternate key's columns.
	AlternateKeys [][]string `json:"alternateKeys"`
	// CompanyField is the lookup to cdm_company that stripes the table by
	// legal entity; empty for a global table.
	CompanyField  string `json:"companyField,omitempty"`
	ModifiedField string `json:"modifiedField,omitempty"`
	// Kind is "standard", "virtual" or "elastic".
	Kind   string                `json:"kind"`
	Fields map[string]*FieldMeta `json:"fields"`
}

// FieldMeta describes one field or column.
type FieldMeta struct {
	Type      plan.Type `json:"type"`
	MaxLength int       `json:"maxLength,omitempty"`
	Precision int       `json:"precision,omitempty"`
	Scale     int       `json:"scale,omitempty"`
	// Required: a write that creates a row must supply a value.
	Required bool `json:"required,omitempty"`
	// ReadOnly: the service computes it; a write must not set it.
	ReadOnly bool `json:"readOnly,omitempty"`
	// Enum is the F&O enum type of an enum field.
	Enum string `json:"enum,omitempty"`
	// Choices maps a Dataverse choice's labels to values.
	Choices map[string]int64 `json:"choices,omitempty"`
	// Targets lists the tables a Dataverse lookup can point to.
	Targets []string `json:"targets,omitempty"`
}

// Enum is an F&O enum type.
type Enum struct {
	Members map[string]int64 `json:"members"`
}

// Digest returns "sha256:<hex>" of the catalog's canonical JSON (map keys
// sorted by encoding/json).
func (c *Catalog) Digest() string {
	b, err := json.Marshal(c)
	if err != nil {
		// Only maps, strings and numbers: Marshal does not fail on them.
		return "sha256:unencodable"
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
