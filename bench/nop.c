/* The smallest useful program: what posix_spawn starts in proc.spawn. */
int main(void)
{
	return 0;
}
