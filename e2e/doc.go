// Package e2e is the container tests: the real dualsync binary, in an
// image built from this folder's Dockerfile, run as a simulator container
// ("dualsync sim serve": the HTTP fakes of F&O, Dataverse and the token
// service) and a runtime container ("dualsync run") on a private Docker
// network, and checked only through what a user or an operator sees: the
// fakes' OData APIs with a bearer token, the runtime's /healthz, /readyz
// and /metrics, and "dualsync errors list" on the store volume.
//
// The package holds no code beyond this comment; the tests are in its
// _test.go files, so that "go test ./..." runs them and they are easy to
// find. They are the slowest layer, and they need Docker.
//
// # Steps of a run
//
//  1. TestMain builds a static binary (CGO_ENABLED=0, GOOS=linux,
//     -trimpath) into a temporary directory beside a copy of the
//     Dockerfile, compiles the starter maps into a plan, and builds the
//     image from that directory, once. The Dockerfile starts FROM
//     scratch: nothing is pulled from a registry, and the container
//     library's reaper is turned off (TESTCONTAINERS_RYUK_DISABLED=true)
//     because it would have to be pulled. Published ports are reached on
//     127.0.0.1 (TESTCONTAINERS_HOST_OVERRIDE, unless set), never on a
//     guessed gateway address.
//  2. Each test makes its own network and store volume, starts the
//     containers it needs, and registers their removal with t.Cleanup,
//     so that they go even when the test fails; the containers' logs are
//     printed first when it does. Everything carries a label with the
//     run's start time, and each run first removes what runs older than
//     an hour left behind (a run killed by a timeout cannot clean up).
//  3. The tests write records as a user would, through the fakes' OData
//     APIs, inject faults through the fakes' fault API (/_faults, with
//     the admin token), kill containers with SIGKILL, and wait with
//     bounded polls, never with sleeps that assume a speed.
//
// # What the tests prove
//
//   - TestConverge: creates and edits on both sides reach the other side;
//     then nothing moves (no echo, no ping-pong), the error queue is empty
//     and the accounting identity holds on /metrics.
//   - TestKillRuntime: a runtime killed mid-sync and a new one on the same
//     store lose nothing and duplicate nothing.
//   - TestDataverseOutage: a full and then a write-only outage of
//     Dataverse are waited out with backoff, without error-queue entries,
//     and the backlog drains.
//   - TestThrottlingStorm: sustained 429s with Retry-After are honoured,
//     cause no errors, and the sides converge after the storm.
//   - BenchmarkSoak: steady load for -e2e.soak with the runtime's memory
//     at the start and the end (a benchmark: run it on purpose).
//
// # Docker
//
// Without a Docker daemon the container tests skip with a loud reason on a
// developer's machine; under CI (CI=true) a missing daemon fails them,
// because CI never skips a test silently. -short leaves them out.
//
// # Knobs
//
// Flags after -args: -e2e.poll (the runtime's poll interval),
// -e2e.converge (the longest wait for convergence), -e2e.outage and
// -e2e.storm (fault durations), -e2e.rows (products per side),
// -e2e.soak, -e2e.soak-set and -e2e.soak-rate (the soak), -e2e.keep-image
// and -e2e.tclog (the container library's own log).
package e2e
