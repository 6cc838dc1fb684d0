// Package fake is in-memory F&O and Dataverse: faithful models of the two
// services, configured from a plan, that the simulator runs in process and
// the wire level will put behind real HTTP.
//
// Each service is two layers. The model (fo.go, dv.go) holds the records
// and implements the service's semantics and error shapes (Error) behind a
// request interface, FO.API and DV.API, where every call is one request:
// each is subject to the faults in force, and a $batch counts once. The
// adapters (connector_fo.go, connector_dv.go) implement
// dsruntime.Connector on that request interface, as the HTTP connectors
// will on HTTP.
//
// # What is modelled
//
//   - F&O: data entities by entity set; records keyed by dataAreaId and
//     business key; environment-wide row versions as weak ETags;
//     ModifiedDateTime by the service's own clock, to the second; queries
//     for the default company or cross-company, by modified time, ordered
//     and paged; enum members validated (400), strings never null, text
//     longer than the field and empty required fields refused as write
//     exceptions (500, AxODataWriteException with an infolog); unknown
//     properties refused (400); create of an existing key refused ("The
//     record already exists"); If-Match on update and delete (412, 404).
//   - Dataverse: tables by entity set; a GUID primary id and an alternate
//     key of company lookup and business key; cdm_company rows for the
//     companies; an environment-wide versionnumber per write (weak ETag
//     W/"<n>"); modifiedon to the second; upsert by key with If-Match and
//     If-None-Match and the documented 404 and 412 answers; lookups set
//     with @odata.bind, and cleared when the referenced record is deleted
//     (relationship behaviour "remove link": the referencing records get
//     new versions and appear on the change feed); choices validated
//     (0x8004431A, "Accepted Values"),
//     lengths (0x80044331), required fields; unknown properties ("Could
//     not find a property named"); empty strings stored as null; change
//     tracking by delta token ("<version>!<issued>") with deleted rows
//     reported by id, tokens that expire after DeltaTokenTTL or when
//     ExpireDeltaTokens is called (400, CodeDeltaTokenExpired).
//   - Both: business logic that rewrites stored values (Config.Normalize:
//     trim, case, rounding), decimals stored at the field's scale, required
//     fields, schema drift (Config.Drop) and extra enum members or choices
//     (Config.Extra); plug-ins that throw on configured conditions
//     (FaultPlugin); throttling with Retry-After after N requests per
//     window (FaultThrottle); transient 5xx and network failures by rate
//     from the seeded source (FaultTransient, FaultNetwork); outages;
//     latency that moves a virtual clock; each service's own clock with a
//     configurable skew. Faults are set and cleared at any time with
//     SetFault, ClearFault and ClearFaults.
//
// Users edit records with Put and Delete and read them with Get and Rows,
// naming records and lookups by key text (engine.JoinKey, company code
// first) as the runtime does. A user's edit goes through the business
// logic, bumps the version and the modified time, and so appears on the
// change feed; request faults do not apply to it.
//
// Everything random (Dataverse GUIDs, fault draws) comes from Config.Seed,
// and all time from Config.Clock, never from the system clock: the same
// seed and the same calls give the same records, versions and errors.
//
// # Deviations from the real services
//
// F&O cannot report deletes through OData queries; Query.IncludeDeleted
// stands in for data management change tracking or business events. The
// F&O adapter polls through a request of its own (fo_feed.go) that orders
// rows by modified time, then version, and leaves out the rows the
// adapter has already seen before copying them: what a client would do
// with List's answer, without the cost.
// DV.DeletedKey names a deleted row the adapter never saw (the real
// connector needs its own id-to-key map). The expired-token code and some
// message texts are modelled on the documented shapes, not copied from a
// live service. A company row is created the first time its code is used
// unless Config.Companies lists the companies.
package fake
