package importer

import "time"

// purchase is one emitted order line that a later cancellation may take units back from.
type purchase struct {
	order int32 // index into matcher.orders
	line  int32 // the line's position in its order (its LineID)
	prev  int32 // the previous purchase of the same customer and stock code, -1 for none
	at    int64 // order date, Unix seconds
	left  int64 // units not yet taken back
}

// matcher remembers every emitted member line by customer and stock code, so that a
// cancellation line can be matched to the purchase it undoes. Memory grows with the number
// of member order lines (about 32 bytes each) and of distinct customer and stock code
// pairs, not with the file's size.
type matcher struct {
	orders    []string         // order ids, indexed by purchase.order
	slot      map[string]int32 // customer + "\x00" + stock code -> index into latest
	latest    []int32          // per slot, the newest purchase; older ones follow prev
	purchases []purchase
	key       []byte
}

func newMatcher() *matcher {
	return &matcher{slot: map[string]int32{}}
}

func (m *matcher) keyOf(customer, stock string) []byte {
	m.key = append(append(append(m.key[:0], customer...), 0), stock...)
	return m.key
}

// remember records the lines of an emitted order.
func (m *matcher) remember(o *Order) {
	idx := int32(len(m.orders))
	m.orders = append(m.orders, o.Data.ID)
	at := o.PlacedAt.Unix()
	for i, l := range o.Data.Lines {
		k := m.keyOf(o.CustomerID, l.ProductID)
		p := purchase{order: idx, line: int32(i + 1), prev: -1, at: at, left: l.Quantity}
		s, ok := m.slot[string(k)]
		if ok {
			p.prev = m.latest[s]
		} else {
			s = int32(len(m.latest))
			m.slot[string(k)] = s
			m.latest = append(m.latest, 0)
		}
		m.latest[s] = int32(len(m.purchases))
		m.purchases = append(m.purchases, p)
	}
}

// take finds the most recent purchase of qty units of stock by customer placed no later
// than at with at least qty units not yet taken back, and takes them. Among purchases with
// the same date the one emitted last wins. It reports the order id and line position.
func (m *matcher) take(customer, stock string, at time.Time, qty int64) (order string, line int32, ok bool) {
	s, found := m.slot[string(m.keyOf(customer, stock))]
	if !found {
		return "", 0, false
	}
	when := at.Unix()
	best := int32(-1)
	for i := m.latest[s]; i >= 0; i = m.purchases[i].prev {
		p := &m.purchases[i]
		if p.at > when || p.left < qty {
			continue
		}
		if best < 0 || p.at > m.purchases[best].at {
			best = i
		}
	}
	if best < 0 {
		return "", 0, false
	}
	p := &m.purchases[best]
	p.left -= qty
	return m.orders[p.order], p.line, true
}
