// Package scenario runs scenario suites: testscript scripts (txtar files)
// whose commands drive a simulator.World, so that a map author can state
// what must happen when both systems change at once, when a service
// fails, or when the engine crashes, and CI can prove it for a compiled
// plan.
//
// Run executes every script of a directory twice with the same seed: both
// runs must pass and their traces must be identical, byte for byte. A
// failure reports the script line, its seed and the command that replays
// it. `go test` (TestSuites) and `dualsync test` share Run.
//
// # A script
//
//	# A concurrent edit: F&O wins, except the contact method.
//	write fo customer usmf|US-001 OrganizationName=Contoso CustomerGroupId=10 PreferredContactMethod=Email
//	run
//	at 1m
//	update fo customer usmf|US-001 OrganizationName='Contoso Ltd' PreferredContactMethod=Phone
//	update dv customer usmf|US-001 name='Contoso Inc' preferredcontactmethodcode=Mail
//	run
//	expect dv customer usmf|US-001 name='Contoso Ltd' preferredcontactmethodcode=Mail
//	conflicts field=PreferredContactMethod winner=dv count=1
//	errors count=0
//	accounting in-flight=0
//
// Lines are testscript commands: '#' starts a comment (and a section of
// the log), single quotes group words, '!' negates the commands that say
// so, and testscript's own commands (cmp, grep, exists, ...) work on files
// in $WORK. $SEED is the run's seed.
//
// Records are named by side (fo or dv), plan map name and key: the
// integration key values joined with '|', company first (usmf|US-001; a
// global map's key has no company). Fields use the side's own names.
// Values are typed by the plan: integers, decimals, true/false, dates
// (2006-01-02) and date-times (RFC 3339); F&O enums take member names;
// Dataverse choices take integers or the F&O member name, translated
// through the field's value map; F&O lookups take the referenced record's
// business key (in the row's company), Dataverse lookups its full key
// (usmf|P-1); null is null. expect treats an empty string and null alike.
//
// # Commands
//
// Setting up (service options must come before the world is built, which
// the first command that needs it does):
//
//	plan FILE                       load another compiled plan (default: the runner's)
//	world [SEED] [rounds=N] [batch=N] [page=N] [poll-targets=true]
//	                                build the world now (a second world starts afresh)
//	service fo|dv normalise map=M field=F rule=trim|upper|lower|round [places=N]
//	service fo|dv drop map=M field=F        the service lacks the field (schema drift)
//	service fo|dv extra map=M field=F values=A,B
//	                                        the service accepts more enum/choice values
//	service fo|dv required map=M field=F    the field must have a value
//	service fo|dv skew DURATION             the side's clock runs ahead (or behind)
//	at DURATION                     set the virtual time since the start (never back)
//	advance DURATION                move the virtual clock forward
//
// Users and faults:
//
//	[!] write fo|dv MAP KEY Field=Value...   a user creates or edits a record
//	[!] update fo|dv MAP KEY Field=Value...  the same; the record must exist
//	[!] delete fo|dv MAP KEY                 a user deletes a record
//	                                         ('!': the service must refuse)
//	fault fo|dv KIND [name=] [map=] [ops=read|write] [rate=] [count=] [for=DURATION]
//	      [status=] [code=] [message=] [limit=] [window=] [retry=] [latency=] [field=] [value=]
//	                                KIND: outage, network, transient, throttle, plugin, latency;
//	                                for= heals the fault after that much virtual time
//	clear [fo|dv [NAME]]            heal all faults, a side's, or one
//
// The engine:
//
//	[!] run [idle]                  run until quiet, moving the clock when only time
//	                                helps (retries, park timeouts); idle: until nothing
//	                                happens without the clock moving. '!': must not go
//	                                quiet (an echo loop)
//	step [N]                        N driver rounds (poll, write, tick), clock untouched
//	crash [before-save|after-save|after-apply] [n=N]
//	                                the engine dies now, or at the N-th such point of a
//	                                later run: before or after the next checkpoint is
//	                                saved, or after writes reached the target but before
//	                                their results reached the engine
//	restart                         a new engine from the persisted state
//	queue retry|discard [map=] [key=] [side=] [class=] [field=]
//	                                a person retries or discards error-queue entries
//
// Checks (count=N also takes >=N, >N, <=N, <N; without count, at least
// one must match):
//
//	[!] expect fo|dv MAP KEY [Field=Value...]   the record exists with these values
//	expect-missing fo|dv MAP KEY                the record does not exist
//	errors [map=] [key=] [side=] [class=] [field=] [count=N]
//	                                error-queue entries; side is the target, class one of
//	                                validation, missing-mapping, invalid-value, dependency,
//	                                plugin, transient, version-mismatch, delete-review
//	conflicts [map=] [key=] [field=] [winner=fo|dv] [rule=] [count=N]
//	                                conflict-log entries (field by either side's name;
//	                                rule fo, dv, last_write, one_way, initial, delete)
//	parked [map=] [key=] [count=N]  records waiting for a lookup's target
//	accounting [observed=N] [applied=N] [suppressed=N] [queued=N] [parked=N] [in-flight=N]
//	           [echo=N] [unchanged=N] [stale=N] [tombstone=N] [writes=N] [retries=N]
//	           [rereads=N] [conflicts=N]
//	                                the engine's accounting balances, with these totals
//	                                (since the last restart)
//	writes [side=] [map=] [key=] [op=upsert|delete] [pass=N] [count=N] [sent=N]
//	                                the engine's writes so far: count those the target
//	                                applied, sent all of them (retries included)
//	trace FILE                      write the trace so far to FILE, for cmp or grep
//	dump [fo|dv MAP]                print records, the error queue and the conflict log
//
// A failing command stops the script with its line and a message that
// shows what was there instead (the record, the queue, the log).
package scenario
