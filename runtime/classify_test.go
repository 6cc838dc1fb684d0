package runtime_test

import (
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

func TestClassify(t *testing.T) {
	ax := dsruntime.AxWriteException
	tests := []struct {
		name  string
		err   dsruntime.ServiceError
		class engine.Class
		field string
		retry time.Duration
	}{
		{"no answer", dsruntime.ServiceError{Network: true, Message: "connection reset"}, engine.Transient, "", 0},
		{"429", dsruntime.ServiceError{Status: 429, Code: dsruntime.CodeRequestLimitReached, RetryAfter: 20 * time.Second}, engine.Throttled, "", 20 * time.Second},
		{"412 stale", dsruntime.ServiceError{Status: 412, Code: dsruntime.CodeVersionMismatch}, engine.VersionMismatch, "", 0},
		{"412 exists", dsruntime.ServiceError{Status: 412, Code: dsruntime.CodeRecordExists}, engine.VersionMismatch, "", 0},
		{"404 gone", dsruntime.ServiceError{Status: 404}, engine.VersionMismatch, "", 0},
		{"503", dsruntime.ServiceError{Status: 503, RetryAfter: time.Second}, engine.Transient, "", time.Second},
		{"500", dsruntime.ServiceError{Status: 500, Message: "An unexpected error occurred."}, engine.Transient, "", 0},
		{"401", dsruntime.ServiceError{Status: 401}, engine.Transient, "", 0},
		{"403", dsruntime.ServiceError{Status: 403}, engine.Validation, "", 0},
		{"413", dsruntime.ServiceError{Status: 413}, engine.Validation, "", 0},
		{"dv plug-in", dsruntime.ServiceError{Status: 400, Code: dsruntime.CodePluginException, Message: "no"}, engine.Plugin, "", 0},
		{"dv choice", dsruntime.ServiceError{Status: 400, Code: dsruntime.CodeChoiceOutOfRange,
			Message: "A validation error occurred. The value 9 of 'x' on record of type 'account' is outside the valid range. Accepted Values: 1,2,3"}, engine.Validation, "", 0},
		{"dv length", dsruntime.ServiceError{Status: 400, Code: dsruntime.CodeMaxLengthExceeded}, engine.Validation, "", 0},
		{"dv duplicate detection", dsruntime.ServiceError{Status: 500, Code: dsruntime.CodeDuplicateDetected}, engine.Validation, "", 0},
		{"dv unknown property", dsruntime.ServiceError{Status: 400, Code: dsruntime.CodeUnknownProperty,
			Message: "Could not find a property named 'fax' on type 'Microsoft.Dynamics.CRM.account'."}, engine.MissingMapping, "fax", 0},
		{"dv unknown property, other code", dsruntime.ServiceError{Status: 400, Code: "0x0",
			Message: "Could not find a property named 'fax' on type 'Microsoft.Dynamics.CRM.account'."}, engine.MissingMapping, "fax", 0},
		{"fo unknown property", dsruntime.ServiceError{Status: 400,
			Message: "The property 'Fax' does not exist on type 'Microsoft.Dynamics.DataEntities.CustomerV3'. Make sure to only use property names that are defined by the type."}, engine.MissingMapping, "Fax", 0},
		{"fo required", dsruntime.ServiceError{Status: 500, InnerType: ax,
			InnerMessage: "Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Field 'CustGroup' must be filled in."}, engine.Validation, "CustGroup", 0},
		{"fo exists", dsruntime.ServiceError{Status: 500, InnerType: ax,
			InnerMessage: "Write failed for table row of type 'X'. Infolog: Cannot create a record in X. The record already exists."}, engine.VersionMismatch, "", 0},
		{"fo business logic", dsruntime.ServiceError{Status: 500, InnerType: ax,
			InnerMessage: "Write failed for table row of type 'X'. Infolog: Credit check failed."}, engine.Plugin, "", 0},
		{"fo bad enum", dsruntime.ServiceError{Status: 400, InnerMessage: "Requested value 'SMS' was not found."}, engine.Validation, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.err.Side = plan.DV
			f := dsruntime.Classify(&tt.err)
			if f.Class != tt.class || f.Field != tt.field || f.RetryAfter != tt.retry || f.Status != tt.err.Status {
				t.Errorf("got %+v, want class %s field %q retry %v", f, tt.class, tt.field, tt.retry)
			}
			if f.Message == "" {
				t.Error("no message")
			}
		})
	}
}
