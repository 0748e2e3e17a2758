package db

// Progress follows long work (Rekey, Provision): Total is called once, before the work, with
// the number of units it will take (rows to re-encrypt, records to provision; an upper bound),
// and Add after each finished unit. It is called from the working goroutine only.
type Progress interface {
	Total(n int)
	Add(n int)
}

// noProgress is the Progress of callers that do not follow the work.
type noProgress struct{}

func (noProgress) Total(int) {}
func (noProgress) Add(int)   {}

func progressOr(p Progress) Progress {
	if p == nil {
		return noProgress{}
	}
	return p
}
