package importer

import (
	"strconv"
	"time"
)

// purchase is one emitted order line that a later cancellation may take units back from.
type purchase struct {
	order int32 // index into matcher.orders
	line  int32 // the line's position in its order (its LineID)
	prev  int32 // the previous purchase of the same customer and stock code, -1 for none
	at    int64 // order date, Unix seconds
	left  int64 // units not yet taken back
}

// matcher remembers every emitted member line by customer and stock code, so that a
// cancellation line can be matched to the purchase it undoes. Customers and stock codes are
// numbered once each, so a line costs its 32-byte purchase and a distinct customer and
// stock code pair one uint64 map entry; order ids are kept in the packed form of idSet
// where they have one.
type matcher struct {
	orders    []uint64         // order ids (packID, or an index into others), by purchase.order
	others    []string         // order ids without a packed form
	customers *interner        //
	stocks    *interner        //
	slot      map[uint64]int32 // customer number << 32 | stock number -> index into latest
	latest    []int32          // per slot, the newest purchase; older ones follow prev
	purchases []purchase
}

func newMatcher() *matcher {
	return &matcher{slot: map[uint64]int32{}, customers: newInterner(), stocks: newInterner()}
}

// orderID is the id of the order numbered i.
func (m *matcher) orderID(i int32) string {
	k := m.orders[i]
	switch {
	case k&(1<<63) != 0 && k&(1<<62) != 0:
		return m.others[k&^(3<<62)]
	case k&(1<<63) != 0:
		return strconv.FormatUint(k&^(1<<63), 10)
	}
	var b [8]byte
	n := 8
	for ; k != 0; k >>= 8 {
		n--
		b[n] = byte(k)
	}
	return string(b[n:])
}

// remember records the lines of an emitted order.
func (m *matcher) remember(o *Order) {
	idx := int32(len(m.orders))
	k, ok := packID(o.Data.ID)
	// A decimal id has both top bits set only above 2^62; such ids go to others too.
	if !ok || k&(3<<62) == 3<<62 {
		k = uint64(len(m.others)) | 3<<62
		m.others = append(m.others, o.Data.ID)
	}
	m.orders = append(m.orders, k)
	at := o.PlacedAt.Unix()
	cust := uint64(m.customers.id(o.CustomerID)) << 32
	for i, l := range o.Data.Lines {
		k := cust | uint64(m.stocks.id(l.ProductID))
		p := purchase{order: idx, line: int32(i + 1), prev: -1, at: at, left: l.Quantity}
		s, ok := m.slot[k]
		if ok {
			p.prev = m.latest[s]
		} else {
			s = int32(len(m.latest))
			m.slot[k] = s
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
	c, okc := m.customers.lookup(customer)
	st, oks := m.stocks.lookup(stock)
	if !okc || !oks {
		return "", 0, false
	}
	s, found := m.slot[uint64(c)<<32|uint64(st)]
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
	return m.orderID(p.order), p.line, true
}
