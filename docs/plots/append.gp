# Append time vs session length (append.dat is written by the quick benchmark).
set terminal pngcairo size 640,400 font "sans,9"
set grid
set key top left
set logscale x
set logscale y
set format x "%.0s%c"
set output "append.png"
set title "Durable append of one message (median)"
set xlabel "messages already in the session"
set ylabel "ms per save"
plot "append.dat" using 1:2 with linespoints title "raw SQLite BEGIN/INSERT/COMMIT", \
     "append.dat" using 1:3 with linespoints title "store AppendAsync", \
     "append.dat" using 1:4 with linespoints title "rewrite whole session as JSON file (temp + fsync + rename)"
