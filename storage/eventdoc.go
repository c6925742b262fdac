package storage

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// An event document is an event's result and payload (both JSON) in one compressed value:
//
//	1 (the format), the result's length as a uvarint, DEFLATE(result || payload)
//
// DEFLATE at its fastest level takes a result with twenty rule explanations and its payload
// from about 4.5 KB to about 1.1 KB in some 20-30 µs. The explanations repeat their keys
// and much of their text, which is what makes them compress well.
const eventDocFormat = 1

var docWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

var docReaders sync.Pool

// EncodeEventDoc packs an event's result and payload into the value stored in events.doc.
func EncodeEventDoc(result, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(64 + (len(result)+len(payload))/3)
	b.WriteByte(eventDocFormat)
	b.Write(binary.AppendUvarint(nil, uint64(len(result))))
	w := docWriters.Get().(*flate.Writer)
	w.Reset(&b)
	_, _ = w.Write(result)
	_, _ = w.Write(payload)
	_ = w.Close()
	docWriters.Put(w)
	return b.Bytes()
}

// DecodeEventDoc unpacks EncodeEventDoc's value into the result and payload JSON.
func DecodeEventDoc(doc []byte) (result, payload []byte, err error) { return decodeEventDoc(doc) }

// decodeEventDoc unpacks EncodeEventDoc's value.
func decodeEventDoc(doc []byte) (result, payload []byte, err error) {
	if len(doc) < 2 || doc[0] != eventDocFormat {
		return nil, nil, errors.New("storage: unknown event document format")
	}
	n, k := binary.Uvarint(doc[1:])
	if k <= 0 {
		return nil, nil, errors.New("storage: corrupt event document")
	}
	src := bytes.NewReader(doc[1+k:])
	var r io.ReadCloser
	if v := docReaders.Get(); v != nil {
		r = v.(io.ReadCloser)
		_ = r.(flate.Resetter).Reset(src, nil)
	} else {
		r = flate.NewReader(src)
	}
	all, err := io.ReadAll(r)
	docReaders.Put(r)
	if err != nil {
		return nil, nil, err
	}
	if uint64(len(all)) < n {
		return nil, nil, errors.New("storage: corrupt event document")
	}
	return all[:n], all[n:], nil
}

// eventTexts returns a stored event's result and payload JSON: from doc when the row has
// one, else from the text columns of rows written before documents.
func eventTexts(doc []byte, result, payload string) ([]byte, []byte, error) {
	if doc != nil {
		return decodeEventDoc(doc)
	}
	return []byte(result), []byte(payload), nil
}
