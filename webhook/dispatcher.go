package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Options tune a Dispatcher. Zero values take the defaults named on each field.
type Options struct {
	Node        string        // lease owner name, unique per process
	Concurrency int           // deliveries in flight in this process (64)
	PerEndpoint int           // deliveries in flight to one endpoint from this process (4)
	SendTimeout time.Duration // one attempt's HTTP deadline (10 s)
	// Lease is how long a claim holds a delivery before another node may take it (six
	// times SendTimeout). It is renewed every quarter of itself while the send runs; keep it
	// longer than SendTimeout so that a node whose renewals fail still finishes in time.
	Lease    time.Duration
	Poll     time.Duration // how often to look for due deliveries (100 ms)
	Schedule Schedule      // retry schedule (DefaultSchedule)
	Breaker  tenure.BreakerPolicy
	Client   *http.Client // (a client with a connection pool sized for Concurrency)
	Log      *slog.Logger
	// Observe, when set, is told each attempt's outcome ("succeeded", "failed", "dead").
	Observe func(outcome string)
}

// DefaultBreaker opens an endpoint's circuit after 5 consecutive failures for 30 s,
// doubling each time the probe fails, up to 30 minutes.
var DefaultBreaker = tenure.BreakerPolicy{Failures: 5, Cooldown: 30 * time.Second, MaxCooldown: 30 * time.Minute}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.PerEndpoint <= 0 {
		o.PerEndpoint = 4
	}
	o.PerEndpoint = min(o.PerEndpoint, o.Concurrency)
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 6 * o.SendTimeout
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Schedule == nil {
		o.Schedule = DefaultSchedule()
	}
	if o.Breaker == (tenure.BreakerPolicy{}) {
		o.Breaker = DefaultBreaker
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConns: 2 * o.Concurrency, MaxIdleConnsPerHost: o.Concurrency,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true,
		}}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Dispatcher delivers webhook messages in its own goroutines, apart from the jobs loop.
// It claims each endpoint's due deliveries separately, only as many as it has free slots
// for (Concurrency overall, PerEndpoint per endpoint), so a slow or dead endpoint holds
// at most PerEndpoint slots and delays only its own messages, and a claim never covers
// more than the node is sending. Claims are leased and the lease renewed while sending,
// so no two nodes send a delivery at once. An endpoint that keeps failing is backed off by
// its circuit breaker, whose state lives in storage for every node to see.
type Dispatcher struct {
	db *storage.DB
	o  Options

	mu       sync.Mutex
	inflight map[string]int                     // sends under way, per endpoint
	sending  int                                // sends under way in all
	claims   map[string]storage.ClaimedDelivery // held by this node until the outcome is recorded
	turn     int                                // rotates the endpoint order for fairness

	wake    chan struct{}
	results chan finishReq // nil unless started: RunOnce commits each outcome itself
	ctx     context.Context
	cancel  context.CancelFunc
	loops   sync.WaitGroup // planner and renewer
	sends   sync.WaitGroup
	done    chan struct{} // closed when the finisher has drained
	started bool
	closing sync.Once
}

type finishReq struct {
	f    storage.Finished
	done chan struct{}
}

// New returns a dispatcher over db; Start runs it.
func New(db *storage.DB, o Options) *Dispatcher {
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{db: db, o: o, inflight: map[string]int{}, claims: map[string]storage.ClaimedDelivery{},
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

// Options returns the dispatcher's settings with defaults filled in.
func (d *Dispatcher) Options() Options { return d.o }

// Start runs the dispatcher in the background until Close: it looks for due deliveries
// every Poll, and at once when this process queues some or a slot frees up.
func (d *Dispatcher) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.ctx.Err() != nil {
		return
	}
	d.started = true
	d.results, d.done = make(chan finishReq, d.o.Concurrency), make(chan struct{})
	d.db.OnNewDeliveries(d.Wake)
	go d.finisher()
	d.loops.Add(2)
	go d.planner()
	go d.renewer()
}

// Wake makes a started dispatcher look for due deliveries now. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Close stops claiming, cancels the sends under way and hands their deliveries back
// (due again at once, the attempt not counted), and waits for every goroutine to end.
func (d *Dispatcher) Close() error {
	d.closing.Do(func() {
		d.mu.Lock()
		d.cancel() // under mu: a concurrent Start sees it and starts nothing
		started := d.started
		d.mu.Unlock()
		d.loops.Wait()
		d.sends.Wait()
		if started {
			close(d.results)
			<-d.done
		}
	})
	return nil
}

// RunOnce claims what is due now, within the concurrency limits, sends it and waits for
// the outcomes; it returns how many deliveries it attempted. Tests that move a manual
// clock use it instead of Start.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	var wg sync.WaitGroup
	n, err := d.plan(ctx, &wg)
	wg.Wait()
	return n, err
}

func (d *Dispatcher) planner() {
	defer d.loops.Done()
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	for {
		if _, err := d.plan(d.ctx, nil); err != nil && d.ctx.Err() == nil {
			d.o.Log.Error("webhook claim failed", "err", err)
		}
		select {
		case <-d.ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// plan claims due deliveries endpoint by endpoint, each up to its free slots, and starts
// a send for each. One transaction finds the due endpoints, claims and loads what the
// sends need. wg, if set, is told about the sends.
func (d *Dispatcher) plan(ctx context.Context, wg *sync.WaitGroup) (int, error) {
	if d.freeSlots("") == 0 {
		return 0, nil
	}
	var claims []storage.ClaimedDelivery
	var hooks map[string]tenure.Webhook
	var msgs map[string]tenure.Message
	err := d.db.Write(ctx, func(tx *storage.Tx) error {
		claims = claims[:0]
		due, err := tx.DueEndpoints(ctx, 1000)
		if err != nil || len(due) == 0 {
			return err
		}
		d.mu.Lock()
		d.turn++
		start := d.turn % len(due)
		d.mu.Unlock()
		free := d.freeSlots("")
		for i := range due {
			e := due[(start+i)%len(due)]
			if free == 0 {
				break
			}
			n := min(free, d.freeSlots(e.WebhookID))
			if n == 0 {
				continue
			}
			cs, err := tx.ClaimEndpoint(ctx, e, d.o.Node, tx.Now.Add(d.o.Lease).UnixMicro(), n)
			if err != nil {
				return err
			}
			free -= len(cs)
			claims = append(claims, cs...)
		}
		if len(claims) > 0 {
			hooks, msgs, err = tx.Contents(ctx, claims)
		}
		return err
	})
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	d.mu.Lock()
	for _, c := range claims {
		d.inflight[c.WebhookID]++
		d.sending++
		d.claims[c.ID] = c
	}
	d.mu.Unlock()
	for _, c := range claims {
		hook, hookOK := hooks[c.TenantID+"/"+c.WebhookID]
		msg, msgOK := msgs[c.TenantID+"/"+c.MessageID]
		var gone error
		if !hookOK {
			gone = tenure.NotFound("webhook.Dispatcher", "webhook", c.WebhookID)
		} else if !msgOK {
			gone = tenure.NotFound("webhook.Dispatcher", "message", c.MessageID)
		}
		d.sends.Add(1)
		if wg != nil {
			wg.Add(1)
		}
		go func() {
			defer d.sends.Done()
			if wg != nil {
				defer wg.Done()
			}
			d.deliver(ctx, c, hook, msg, gone)
		}()
	}
	return len(claims), nil
}

// freeSlots is how many more deliveries this node may start to endpoint ("" for any).
func (d *Dispatcher) freeSlots(endpoint string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	free := d.o.Concurrency - d.sending
	if endpoint != "" {
		free = min(free, d.o.PerEndpoint-d.inflight[endpoint])
	}
	return max(free, 0)
}

// sent frees c's slot once its request is over: the next delivery can go while the
// outcome is being recorded.
func (d *Dispatcher) sent(c storage.ClaimedDelivery) {
	d.mu.Lock()
	d.sending--
	if d.inflight[c.WebhookID]--; d.inflight[c.WebhookID] <= 0 {
		delete(d.inflight, c.WebhookID)
	}
	d.mu.Unlock()
	d.Wake()
}

// forget drops c from the leases to renew once its outcome is recorded (or handed back).
func (d *Dispatcher) forget(c storage.ClaimedDelivery) {
	d.mu.Lock()
	delete(d.claims, c.ID)
	d.mu.Unlock()
}

// deliver makes one attempt at a claimed delivery and records its outcome.
// gone, when set, says the endpoint or message no longer exists: the delivery is dead.
func (d *Dispatcher) deliver(ctx context.Context, c storage.ClaimedDelivery, hook tenure.Webhook, msg tenure.Message, gone error) {
	defer d.forget(c)
	freed := false
	free := func() {
		if !freed {
			freed = true
			d.sent(c)
		}
	}
	defer free()
	err := gone
	now := d.db.Clock().Now()
	f := storage.Finished{Claim: c, State: "succeeded", RetryAt: now.UnixMicro(), Attempt: tenure.Attempt{Attempt: c.Attempt, At: now, Node: d.o.Node}}
	if err != nil {
		f.State, f.Attempt.Error = "dead", "endpoint or message gone: "+err.Error()
	} else {
		start := time.Now()
		f.Attempt.StatusCode, f.Attempt.Error = post(ctx, d.o.Client, d.o.SendTimeout, hook, msg, c.Attempt, now)
		f.Attempt.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		free()
		if ctx.Err() != nil {
			d.giveBack(c, ctx.Err()) // shutting down: not the endpoint's failure
			return
		}
		f.Endpoint = true
		if f.Attempt.Error != "" {
			f.State = "dead"
			if next, ok := d.o.Schedule.Next(c.Attempt, now); ok {
				f.State, f.RetryAt = "pending", next.UnixMicro()
			}
		}
	}
	if f.State != "succeeded" {
		d.o.Log.Warn("webhook delivery failed", "delivery", c.ID, "attempt", c.Attempt, "state", f.State, "err", f.Attempt.Error)
	}
	if d.o.Observe != nil {
		outcome := f.State
		if outcome == "pending" {
			outcome = "failed"
		}
		d.o.Observe(outcome)
	}
	if d.results != nil {
		r := finishReq{f: f, done: make(chan struct{})}
		d.results <- r
		<-r.done
		return
	}
	if err := d.commit([]storage.Finished{f}); err != nil {
		d.o.Log.Error("webhook outcome not recorded", "delivery", c.ID, "err", err)
	}
}

// giveBack hands an unsent claim back so that it is due again at once.
func (d *Dispatcher) giveBack(c storage.ClaimedDelivery, why error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.db.Write(ctx, func(tx *storage.Tx) error { return tx.ReleaseClaims(ctx, d.o.Node, []string{c.ID}) }); err != nil {
		d.o.Log.Warn("webhook claim not handed back; it is due again when its lease ends", "delivery", c.ID, "err", errors.Join(why, err))
	}
}

// finisher records outcomes in batches: one transaction for whatever finished meanwhile.
func (d *Dispatcher) finisher() {
	defer close(d.done)
	for r := range d.results {
		batch := []finishReq{r}
	drain:
		for len(batch) < 512 {
			select {
			case r, ok := <-d.results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		fs := make([]storage.Finished, len(batch))
		for i, r := range batch {
			fs[i] = r.f
		}
		if err := d.commit(fs); err != nil {
			d.o.Log.Error("webhook outcomes not recorded; their deliveries are due again when their leases end", "count", len(fs), "err", err)
		}
		for _, r := range batch {
			close(r.done)
		}
	}
}

func (d *Dispatcher) commit(fs []storage.Finished) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.db.Write(ctx, func(tx *storage.Tx) error { return tx.FinishDeliveries(ctx, d.o.Node, fs, d.o.Breaker) })
}

// renewer extends the leases of this node's claims every quarter of a lease, so that a
// renewal delayed by a busy database still lands before the lease ends.
func (d *Dispatcher) renewer() {
	defer d.loops.Done()
	t := time.NewTicker(d.o.Lease / 4)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		}
		d.mu.Lock()
		ids := make([]string, 0, len(d.claims))
		for id := range d.claims {
			ids = append(ids, id)
		}
		d.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		var held int
		err := d.db.Write(d.ctx, func(tx *storage.Tx) (err error) {
			held, err = tx.RenewLeases(d.ctx, d.o.Node, ids, tx.Now.Add(d.o.Lease).UnixMicro())
			return err
		})
		if err != nil && d.ctx.Err() == nil {
			d.o.Log.Error("webhook lease renewal failed", "err", err)
		} else if err == nil && held < len(ids) {
			// Finished meanwhile, or lost: a lease lost means a send outlived it.
			d.o.Log.Debug("webhook leases renewed", "held", held, "asked", len(ids))
		}
	}
}
