# Appends per second vs concurrent writers (concurrency-*.dat are written by the quick benchmark).
set terminal pngcairo size 640,400 font "sans,9"
set grid
set key top right
set logscale x 2
set yrange [0:*]
set output "concurrency.png"
set title "Durable appends per second, all writers together"
set xlabel "concurrent writers"
set ylabel "commits per second"
plot "concurrency-threads.dat" using 1:2 with linespoints title "store, threads (one store)", \
     "concurrency-threads.dat" using 1:3 with linespoints title "raw 1-row commits, threads", \
     "concurrency-processes.dat" using 1:2 with linespoints title "store, processes", \
     "concurrency-processes.dat" using 1:3 with linespoints title "raw 1-row commits, processes"
