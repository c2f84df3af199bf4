package benchmark

import "time"

// cpuUse is how busy the machine's CPUs and this process were over a
// window, in percent of all the machine's CPUs.
type cpuUse struct {
	Machine, Process float64
	Known            bool // false where the machine's counters cannot be read
}

// cpuMeter samples the machine's and this process's CPU time.
type cpuMeter struct {
	at                   time.Time
	busy, total          uint64 // machine: clock ticks since boot
	process              time.Duration
	cpus                 int
	machineOK, processOK bool
}

// since returns the CPU use from m to now.
func (m cpuMeter) since() cpuUse {
	now := readCPU()
	if !m.machineOK || !now.machineOK || now.total <= m.total {
		return cpuUse{}
	}
	u := cpuUse{Known: true, Machine: 100 * float64(now.busy-m.busy) / float64(now.total-m.total)}
	if m.processOK && now.processOK && m.cpus > 0 {
		wall := now.at.Sub(m.at)
		u.Process = 100 * float64(now.process-m.process) / float64(wall) / float64(m.cpus)
	}
	return u
}
