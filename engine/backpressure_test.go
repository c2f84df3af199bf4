package engine

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestAdmitHoldsWritesWhileBacklogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := &Engine{cfg: Config{MaxBacklog: 5, AdmitWait: 5 * time.Second}}
		e.counted(3)
		if err := e.Admit(context.Background()); err != nil {
			t.Fatal(err)
		}

		e.counted(10)
		done := make(chan error, 1)
		go func() { done <- e.Admit(context.Background()) }()
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("a write was admitted while the backlog was over the limit")
		default:
		}
		e.counted(4) // the engine caught up
		time.Sleep(backlogPoll)
		synctest.Wait()
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		// Held writes go through after AdmitWait even if the backlog stays.
		e.counted(10)
		go func() { done <- e.Admit(context.Background()) }()
		time.Sleep(5*time.Second + backlogPoll)
		synctest.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatal("a write was held past AdmitWait")
		}

		// A request that ends while held gets its context's error.
		ctx, cancel := context.WithCancel(context.Background())
		go func() { done <- e.Admit(ctx) }()
		synctest.Wait()
		cancel()
		synctest.Wait()
		if err := <-done; err == nil {
			t.Fatal("a cancelled request was admitted")
		}
	})
}
