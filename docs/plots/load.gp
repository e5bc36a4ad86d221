# Load (resume) time vs session length (load.dat is written by the quick benchmark).
set terminal pngcairo size 640,400 font "sans,9"
set grid
set key top left
set logscale x
set logscale y
set format x "%.0s%c"
set output "load.png"
set title "Load a session (median)"
set xlabel "messages in the session"
set ylabel "ms"
plot "load.dat" using 1:3 with linespoints title "store ReadAsync, whole session", \
     "load.dat" using 1:2 with linespoints title "raw SELECT, whole session", \
     "load.dat" using 1:5 with linespoints title "store ReadAsync, last 50", \
     "load.dat" using 1:4 with linespoints title "raw SELECT, last 50"
