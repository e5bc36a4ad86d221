# List time vs store size (list.dat is written by the quick benchmark).
set terminal pngcairo size 640,400 font "sans,9"
set grid
set key top left
set logscale x
set logscale y
set format x "%.0s%c"
set output "list.png"
set title "List the 50 newest sessions (median)"
set xlabel "sessions in the store"
set ylabel "ms"
plot "list.dat" using 1:3 with linespoints title "store ListAsync", \
     "list.dat" using 1:2 with linespoints title "raw SELECT", \
     "list.dat" using 1:5 with linespoints title "store ListAsync, tag filter", \
     "list.dat" using 1:4 with linespoints title "raw SELECT, tag filter"
