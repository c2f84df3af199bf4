package benchmark

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readCPU reads /proc/stat's first line (user nice system idle iowait irq
// softirq steal ...: busy is everything but idle and iowait) and this
// process's user and system time.
func readCPU() cpuMeter {
	m := cpuMeter{at: time.Now(), cpus: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		fields := strings.Fields(line)
		if len(fields) > 8 && fields[0] == "cpu" {
			m.machineOK = true
			for i, f := range fields[1:9] {
				v, err := strconv.ParseUint(f, 10, 64)
				if err != nil {
					m.machineOK = false
					break
				}
				m.total += v
				if i != 3 && i != 4 { // idle, iowait
					m.busy += v
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.processOK = true
	}
	return m
}
